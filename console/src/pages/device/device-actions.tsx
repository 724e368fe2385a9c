/**
 * What can be done to a device as a whole: disable it (its credentials refused, its connections
 * ended) or enable it again, and delete it with everything its object holds.
 */
import { useState } from "preact/hooks";
import { request, seg } from "../../api/client";
import type { Device } from "../../api/types";
import { ConfirmButton } from "../../components/confirm-button";
import { ErrorNote } from "../../components/notes";
import { useFeatures } from "../../components/use-features";

const PATH = "/v1/devices/{id}";

/** Disable/enable and delete buttons for `device`; `onChanged` after a change it stays for. */
export function DeviceActions({ device, onChanged }: { device: Device; onChanged: () => void }) {
  const features = useFeatures();
  const [error, setError] = useState<unknown>(undefined);
  const base = `/v1/devices/${seg(device.id)}`;
  const act = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(err);
      return false;
    }
  };
  const setEnabled = async (enabled: boolean) => {
    if (await act(() => request("PATCH", base, { body: { enabled } }))) onChanged();
  };
  const remove = async () => {
    if (await act(() => request("DELETE", base))) location.hash = "#/devices";
  };
  if (!features) return null;
  return (
    <>
      <div class="actions">
        {features.has("patch", PATH) &&
          (device.enabled ? (
            <ConfirmButton label="Disable" confirm="Disable: refuse its credentials, end its connections" onConfirm={() => setEnabled(false)} />
          ) : (
            <button type="button" onClick={() => void setEnabled(true)}>
              Enable
            </button>
          ))}
        {features.has("delete", PATH) && <ConfirmButton label="Delete device" confirm={`Delete ${device.id} and all it holds`} onConfirm={remove} />}
      </div>
      <ErrorNote error={error} what="This action" />
    </>
  );
}
