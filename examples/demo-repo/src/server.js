const http = require('http');
const { render } = require('./render');

// TODO: read the port from the environment
const port = 8080;   

function handle(req, res) {	
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(render(req.url));
}

http.createServer(handle).listen(port);
