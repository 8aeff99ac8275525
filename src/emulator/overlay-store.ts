import { CHUNK, type LazyDisk } from './lazy-disk.js';

/**
 * Guest disk writes that survive a reload: the LazyDisk's overlay chunks in IndexedDB (its own database,
 * usable from the Worker), one record per chunk keyed by [image, chunk index]. Writes are flushed a
 * moment after the guest stops writing, only the chunks written since the last flush.
 */
const DB_NAME = 'co86-disks';
const STORE = 'chunks';
const FLUSH_DELAY_MS = 1500;

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB refused'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('storage transaction aborted (quota?)'));
  });
}

export class OverlayStore {
  private readonly dirty = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Reports a failed flush (quota, private mode); the overlay stays in memory. */
  onError?: (message: string) => void;

  private constructor(
    private readonly db: IDBDatabase,
    /** The image's identity: name and size (a changed file of the same name and size is not detected). */
    private readonly image: string,
  ) {}

  static async open(image: string): Promise<OverlayStore | undefined> {
    try {
      return new OverlayStore(await openDb(), image);
    } catch {
      return undefined; // no IndexedDB (private mode): writes then last for the visit only
    }
  }

  /** Loads saved chunks into `disk.overlay` and starts recording its writes. Returns the bytes restored. */
  async attach(disk: LazyDisk): Promise<number> {
    const range = IDBKeyRange.bound([this.image, 0], [this.image, Number.MAX_SAFE_INTEGER]);
    const tx = this.db.transaction(STORE, 'readonly');
    const request = tx.objectStore(STORE).openCursor(range);
    let bytes = 0;
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor) return;
      const index = (cursor.key as [string, number])[1];
      const chunk = cursor.value as Uint8Array;
      if (chunk.length === Math.min(CHUNK, disk.size - index * CHUNK)) {
        disk.overlay.set(index, chunk);
        bytes += chunk.length;
      }
      cursor.continue();
    };
    await done(tx);
    disk.onWrite = (offset, length) => {
      for (let i = Math.floor(offset / CHUNK); i <= Math.floor((offset + length - 1) / CHUNK); i++) this.dirty.add(i);
      this.schedule(disk);
    };
    return bytes;
  }

  /** Forgets every saved write of this image. */
  async clear(): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).delete(IDBKeyRange.bound([this.image, 0], [this.image, Number.MAX_SAFE_INTEGER]));
    await done(tx);
  }

  private schedule(disk: LazyDisk): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(disk).catch((e: unknown) => this.onError?.(`Disk changes could not be kept in the browser: ${(e as Error)?.message ?? e}`));
    }, FLUSH_DELAY_MS);
  }

  private async flush(disk: LazyDisk): Promise<void> {
    const indexes = [...this.dirty];
    this.dirty.clear();
    const tx = this.db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const index of indexes) {
      const chunk = disk.overlay.get(index);
      if (chunk) store.put(chunk.slice(), [this.image, index]);
    }
    await done(tx);
  }
}
