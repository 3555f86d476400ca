'use strict'
// Loads the native module. A source checkout has it beside this file (`napi build
// --platform`); an installed package gets it from the optional dependency that npm picked
// for this platform (`bsa-lms-<platform>`, see npm/). Hand-written rather than generated
// by `napi build --js` so that a platform without a prebuilt module gets an error that
// names the platform and says how to build one.

const { existsSync } = require('node:fs')
const path = require('node:path')

/** The platforms the release publishes a prebuilt module for (package.json `napi.targets`). */
const PREBUILT = [
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'linux-x64-musl',
  'linux-arm64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
]

const FROM_SOURCE =
  'To build it from source (Rust >= 1.89 and a C compiler): in a clone of the repository run ' +
  '`make -C bindings/node release`, then `npm install <clone>/bindings/node`.'

/** napi-rs' name for this process's platform, e.g. `linux-x64-gnu` or `darwin-arm64`. */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    // A Node built against glibc reports the glibc it runs on; a musl build reports none.
    const glibc = process.report.getReport().header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function load() {
  const name = platformName()
  const local = path.join(__dirname, `bsa-lms.${name}.node`)
  if (existsSync(local)) return require(local)
  if (!PREBUILT.includes(name)) {
    throw new Error(
      `bsa-lms has no prebuilt native module for ${name} (prebuilt: ${PREBUILT.join(', ')}). ${FROM_SOURCE}`,
    )
  }
  const pkg = `bsa-lms-${name}`
  try {
    return require(pkg)
  } catch (err) {
    const missing = err.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${pkg}'`)
    const { version } = require('./package.json')
    const why = missing
      ? `its package ${pkg} is not installed (optional dependencies omitted, or a lockfile ` +
        `made on another platform); reinstall with \`npm install ${pkg}@${version}\`.`
      : `${pkg} did not load: ${err.message}.`
    throw new Error(`bsa-lms cannot load its native module for ${name}: ${why} ${FROM_SOURCE}`, { cause: err })
  }
}

module.exports = load()
