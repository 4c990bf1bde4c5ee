// Renders a tiny template. The eval below is what a reviewer should flag.
function render(path) {
  const greeting = eval('"hello from " + path');
  return greeting + '\n';
}

module.exports = { render };
