// SPDX-License-Identifier: LGPL-2.1-or-later
// bench/azure-sdk/upload-pages.mjs FILE CONTAINER BLOB: upload a local
// fixed VHD as a page blob with Microsoft's Azure Storage SDK for
// JavaScript (@azure/storage-blob), as a careful user of the SDK would and
// like for like with `ferry export --to azure://`: the container created
// when absent, the page blob created at the file's size (a new page blob
// reads as zeros), then only the 4 MiB windows that are not all zero sent
// with Put Page, 4 in flight, each with Content-MD5.  Credentials from
// AZURE_STORAGE_CONNECTION_STRING, as the bench gives ferry.  The file is
// streamed window by window (4 windows of memory), never read whole.
// Bench only: bench/azure.sh times it beside ferry export.
import { open } from "node:fs/promises";
import { createHash } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";

const WINDOW = 4 << 20; // Put Page's limit, and ferry's window
const IN_FLIGHT = 4;    // ferry's senders

async function main() {
    const [file, container, blob] = process.argv.slice(2);
    if (!blob) {
        throw new Error("usage: upload-pages.mjs FILE CONTAINER BLOB");
    }
    const conn = process.env.AZURE_STORAGE_CONNECTION_STRING;
    if (!conn) {
        throw new Error("AZURE_STORAGE_CONNECTION_STRING is not set");
    }
    const fh = await open(file, "r");
    try {
        const size = (await fh.stat()).size;
        if (size % 512 !== 0) {
            throw new Error(`${file}: ${size} bytes, not a multiple of 512`);
        }
        const cc = BlobServiceClient.fromConnectionString(conn)
            .getContainerClient(container);
        await cc.createIfNotExists();
        const page = cc.getPageBlobClient(blob);
        // Put Blob: replaces a blob of that name, as ferry's --overwrite.
        await page.create(size);

        const zero = Buffer.alloc(WINDOW);
        let next = 0;
        // One sender: its own buffer, taking the next window until none
        // is left; IN_FLIGHT of them share `next` (one JS thread, so the
        // increment is not raced).
        async function sender() {
            const buf = Buffer.allocUnsafe(WINDOW);
            for (;;) {
                const off = next;
                if (off >= size) {
                    return;
                }
                next += WINDOW;
                const len = Math.min(WINDOW, size - off);
                let got = 0;
                while (got < len) {
                    const { bytesRead } =
                        await fh.read(buf, got, len - got, off + got);
                    if (bytesRead === 0) {
                        throw new Error(`${file}: short read at ${off + got}`);
                    }
                    got += bytesRead;
                }
                const body = buf.subarray(0, len);
                if (body.equals(zero.subarray(0, len))) {
                    continue;
                }
                const md5 = createHash("md5").update(body).digest();
                await page.uploadPages(body, off, len,
                                       { transactionalContentMD5: md5 });
            }
        }
        await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
    } finally {
        await fh.close();
    }
}

main().then(() => process.exit(0), (e) => {
    console.error(`upload-pages: ${e.message}`);
    process.exit(1);
});
