'use strict'
// Adds to a copy of package.json the optionalDependencies of the published package: one
// per platform package under npm/, each at the main package's version (the loader
// requires `bsa-lms-<platform>`, and npm installs only the one whose os/cpu/libc fit).
//   node scripts/publish-manifest.js <staged package.json>
const fs = require('node:fs')
const path = require('node:path')

const file = process.argv[2]
const manifest = JSON.parse(fs.readFileSync(file, 'utf8'))
const npmDir = path.join(__dirname, '..', 'npm')
const optional = {}
for (const dir of fs.readdirSync(npmDir).sort()) {
  const platform = JSON.parse(fs.readFileSync(path.join(npmDir, dir, 'package.json'), 'utf8'))
  if (platform.name !== `${manifest.name}-${dir}` || platform.version !== manifest.version) {
    throw new Error(`npm/${dir}/package.json is ${platform.name}@${platform.version}, expected ${manifest.name}-${dir}@${manifest.version}`)
  }
  optional[platform.name] = platform.version
}
manifest.optionalDependencies = optional
fs.writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`)
