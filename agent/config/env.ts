/**
 * `${NAME}` and `${NAME:-default}` in string values take environment variables, so secrets stay
 * out of config files. Substitution happens on the parsed YAML tree (not the text), so positions
 * of every later error stay true and a value can never inject YAML structure. `$${` is a literal.
 */
import { visit, type Document, type Scalar } from 'yaml';

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface EnvProblem {
  node: Scalar;
  message: string;
}

export interface EnvResult {
  problems: EnvProblem[];
  /**
   * Nodes whose value came from the environment, with the variables used: a message about such a
   * value must not print it (it may be a secret), only say whose value it is.
   */
  substituted: Map<Scalar, string[]>;
}

export function substituteEnv(doc: Document, env: NodeJS.ProcessEnv): EnvResult {
  const problems: EnvProblem[] = [];
  const substituted = new Map<Scalar, string[]>();
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const source = node.value;
      const names: string[] = [];
      const out = source.replace(REF, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${';
        names.push(name!);
        const value = env[name!];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        problems.push({
          node,
          message: `environment variable ${name} is ${value === '' ? 'empty' : 'not set'}; set it, or write \${${name}:-default} to give a default`,
        });
        return '';
      });
      // Always text here: a value becomes a number or boolean only where the schema asks for
      // one (coerceSubstituted), so a numeric token or "2.10" in a text field stays as written.
      node.value = out;
      if (names.length > 0) substituted.set(node, names);
    },
  });
  return { problems, substituted };
}

/** `port: ${PORT}` with PORT=8080 is the number 8080 where the schema wants a number. */
export function coerceText(text: string, expected: string): number | boolean | undefined {
  if ((expected === 'number' || expected === 'int') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (expected === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return undefined;
}
