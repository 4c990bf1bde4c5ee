const assert = require("assert");
const { render } = require("./src/render");
assert.strictEqual(render("/x"), "hello from /x\n");
console.log("tests passed");