/**
 * `${NAME}` and `${NAME:-default}` in string values take environment variables, so secrets stay
 * out of config files. Substitution happens on the parsed YAML tree (not the text), so positions
 * of every later error stay true and a value can never inject YAML structure. `$${` is a literal.
 */
import { visit, type Document, type Scalar } from 'yaml';

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

export interface EnvProblem {
  node: Scalar;
  message: string;
}

export function substituteEnv(doc: Document, env: NodeJS.ProcessEnv): EnvProblem[] {
  const problems: EnvProblem[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const source = node.value;
      const out = source.replace(REF, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${';
        const value = env[name!];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        problems.push({
          node,
          message: `environment variable ${name} is ${value === '' ? 'empty' : 'not set'}; set it, or write \${${name}:-default} to give a default`,
        });
        return '';
      });
      node.value = WHOLE_REF.test(source) ? coerce(out) : out;
    },
  });
  return problems;
}

/** A value that is a single reference takes the type its text spells: port: ${PORT} is a number. */
function coerce(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}
