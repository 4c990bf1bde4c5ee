const http = require('http');

// TODO: read the port from the environment
const port = 8080;

function handle(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('ok\n');
}

http.createServer(handle).listen(port);
