// Web storage that may be switched off: reads give null, writes are dropped.

export function storageGet(store, key) {
  try {
    return store.getItem(key);
  } catch (_) {
    return null;
  }
}

export function storageSet(store, key, value) {
  try {
    if (value === null || value === undefined) store.removeItem(key);
    else store.setItem(key, value);
  } catch (_) {
    // Private mode or storage switched off: the page still works.
  }
}
