// Express 4 and 5 are installed side by side under aliases; both are typed with the
// Express 5 declarations, which is what the middleware has to satisfy anyway.
declare module 'express4' {
  import express = require('express');
  export = express;
}

declare module 'express5' {
  import express = require('express');
  export = express;
}
