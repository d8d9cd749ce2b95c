// Says in one line which Node.js mesos-dns-ts needs and which one runs, and exits 1 when it is
// too old. Plain CommonJS in old syntax on purpose: it must run on any Node version, before
// anything that needs a new one (the CLI imports it first; npm scripts run it first).
// The requirement is package.json's "engines.node" (">=X.Y.Z"), the one place it is written.
'use strict';
var path = require('path');
var fs = require('fs');

function minimum() {
  var pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  var match = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function atLeast(have, want) {
  for (var i = 0; i < 3; i++) {
    if (have[i] !== want[i]) return have[i] > want[i];
  }
  return true;
}

var want = minimum();
var have = process.versions.node.split('.').map(Number);
if (!atLeast(have, want)) {
  process.stderr.write(
    'mesos-dns-ts needs Node.js ' +
      want.join('.') +
      ' or newer; this is Node.js ' +
      process.versions.node +
      ' (' +
      process.execPath +
      '). Install a current Node.js (https://nodejs.org) and run it again.\n',
  );
  process.exit(1);
}
