// What the console keeps on the device (localStorage): it survives a reload, a phone going to sleep and a lost
// session. Keys carry the user's name, so two operators sharing a phone never see or send each other's work.

/** Return the JSON stored under key, or null when there is none (or it cannot be read). */
export function readStored(key) {
  try {
    return JSON.parse(window.localStorage.getItem(key) || "null");
  } catch (error) {
    return null;
  }
}

/** Store value as JSON under key; return false when the browser refused (storage full, private mode). */
export function store(key, value) {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch (error) {
    return false;
  }
}

/** Forget what is stored under key. */
export function forget(key) {
  try {
    window.localStorage.removeItem(key);
  } catch (error) {
    // nothing stored, nothing to forget
  }
}

/** Return the storage keys of one user's console for one briefing and endpoint. */
export function storageKeys(user, briefingId, endpointId) {
  const scope = `${user}:${briefingId}:${endpointId}`;
  return {
    outbox: `meeting-hub:outbox:${user}`,
    state: `meeting-hub:console:${scope}`,
    // Reasons and substitutes typed on a row but not saved yet, by person id.
    rowDrafts: `meeting-hub:console-rows:${scope}`,
    // The raised issue being written in the dialog.
    issueDraft: `meeting-hub:console-issue:${scope}`,
    // Counts typed for endpoint polls and not recorded yet, by poll id.
    pollDrafts: `meeting-hub:console-polls:${scope}`,
  };
}
