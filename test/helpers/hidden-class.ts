/**
 * Whether two objects share V8's hidden class (Map): `%HaveSameMap`, reached through
 * --allow-natives-syntax, which affects only functions compiled after it is set.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** How many of `objects` have a hidden class that no other of them has. */
export function loneHiddenClasses(objects: object[]): number {
  let lone = 0;
  for (let i = 0; i < objects.length; i++) {
    if (!objects.some((o, j) => j !== i && haveSameMap(objects[i]!, o))) lone++;
  }
  return lone;
}
