/**
 * Whether the registry (D1) holds a device: an object made by a message to an id nobody
 * registered (or whose device was deleted) must not keep anything for whoever registers it later.
 * And whether it holds a channel: a rule's publish action to one deleted since is dropped, not sent.
 */

/** True when the registry has a device with this id. */
export async function deviceRegistered(db: D1Database, deviceId: string): Promise<boolean> {
  return (await db.prepare(`SELECT 1 AS one FROM devices WHERE id = ?`).bind(deviceId).first()) !== null;
}

/** True when the registry has a channel with this id. */
export async function channelRegistered(db: D1Database, channel: string): Promise<boolean> {
  return (await db.prepare(`SELECT 1 AS one FROM channels WHERE id = ?`).bind(channel).first()) !== null;
}
