/**
 * Whether the registry (D1) holds a device: an object made by a message to an id nobody
 * registered (or whose device was deleted) must not keep anything for whoever registers it later.
 */

/** True when the registry has a device with this id. */
export async function deviceRegistered(db: D1Database, deviceId: string): Promise<boolean> {
  return (await db.prepare(`SELECT 1 AS one FROM devices WHERE id = ?`).bind(deviceId).first()) !== null;
}
