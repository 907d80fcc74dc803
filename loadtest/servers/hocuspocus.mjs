// A minimal @hocuspocus/server for the benchmark: every document is kept as a file in
// DATA_DIR (the same "folder on disk" persistence every server gets), no auth hooks.
import { Server } from '@hocuspocus/server'
import * as Y from 'yjs'
import { promises as fs } from 'node:fs'
import path from 'node:path'

const dir = process.env.DATA_DIR ?? './hocuspocus-data'
const port = Number(process.env.PORT ?? 1234)
await fs.mkdir(dir, { recursive: true })
const file = (name) => path.join(dir, encodeURIComponent(name) + '.bin')

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  async onLoadDocument ({ documentName, document }) {
    try {
      Y.applyUpdate(document, await fs.readFile(file(documentName)))
    } catch (e) {
      if (e.code !== 'ENOENT') throw e
    }
    return document
  },
  async onStoreDocument ({ documentName, document }) {
    await fs.writeFile(file(documentName), Y.encodeStateAsUpdate(document))
  }
})
await server.listen()
console.log(`hocuspocus listening on http://127.0.0.1:${port}`)
