// Refuses every way TypeScript code can overrule the types the contract gave it: `x as T`,
// `<T>x`, `x!`, `any`, and @ts-ignore / @ts-expect-error / @ts-nocheck. A client that needs
// one of them to compile has found a spot where the contract is wrong: fix the contract, or
// check at run time. (The AST, not a grep of the text: "as" in a string or `!==` is fine.)
// Usage: node nocasts.mjs FILE.ts... Prints one line per finding; exits 1 when there is any.
import { readFileSync } from 'node:fs';
import ts from 'typescript';

let found = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const report = (pos, what) => {
    const { line, character } = src.getLineAndCharacterOfPosition(pos);
    console.log(`${file}:${line + 1}:${character + 1}: ${what}`);
    found++;
  };
  const visit = (node) => {
    if (ts.isAsExpression(node)) report(node.getStart(src), `cast: ${node.getText(src)}`);
    else if (ts.isTypeAssertionExpression(node)) report(node.getStart(src), `cast: ${node.getText(src)}`);
    else if (ts.isNonNullExpression(node)) report(node.getStart(src), `non-null assertion: ${node.getText(src)}`);
    else if (node.kind === ts.SyntaxKind.AnyKeyword) report(node.getStart(src), 'the type any');
    ts.forEachChild(node, visit);
  };
  visit(src);
  for (const m of text.matchAll(/@ts-(ignore|expect-error|nocheck)/g)) report(m.index, `@ts-${m[1]}`);
}
process.exitCode = found === 0 ? 0 : 1;
