/**
 * What the browser keeps between visits (IndexedDB): saved machines (snapshot files, see
 * src/emulator/snapshot-file.ts) under a name, with when they were saved.
 */
const DB_NAME = 'co86';
const STORE = 'snapshots';

export interface StoredSnapshot {
  name: string;
  savedAt: string;
  bytes: number;
  snapshot: Blob;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'name' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`the browser's storage is not available (${request.error?.message ?? 'IndexedDB refused'})`));
  });
}

async function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(new Error(`the browser's storage failed: ${tx.error?.message ?? 'unknown error'}`));
      tx.onabort = () => reject(new Error(`the browser's storage refused the data: ${tx.error?.message ?? 'quota exceeded?'}`));
    });
  } finally {
    db.close();
  }
}

export function putSnapshot(entry: StoredSnapshot): Promise<IDBValidKey> {
  return transact('readwrite', (store) => store.put(entry));
}

export function getSnapshot(name: string): Promise<StoredSnapshot | undefined> {
  return transact('readonly', (store) => store.get(name) as IDBRequest<StoredSnapshot | undefined>);
}

export function deleteSnapshot(name: string): Promise<undefined> {
  return transact('readwrite', (store) => store.delete(name));
}
