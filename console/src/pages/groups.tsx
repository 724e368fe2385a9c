/** Groups of devices: the list, creating and deleting one, its members, and a key's telemetry across them. */
import { useState } from "preact/hooks";
import { seg } from "../api/client";
import type { Group } from "../api/types";
import { useCollection } from "../components/use-collection";
import { useFeatures } from "../components/use-features";
import { Done, ErrorNote } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { ConfirmButton } from "../components/confirm-button";
import { MemberList } from "../components/member-list";
import { GroupTelemetry } from "./group-telemetry";

/** The groups page (`#/groups`). */
export function GroupsPage() {
  const features = useFeatures();
  const fleet = features?.has("get", "/v1/telemetry") ?? false;
  const { list, items, error, created, create: post, remove } = useCollection<Group>("/v1/groups", (g) => g.name);
  const [open, setOpen] = useState<{ group: string; panel: "members" | "telemetry" } | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = (e: Event) => {
    e.preventDefault();
    return post({ name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) }, () => {
      setName("");
      setDescription("");
    });
  };
  const toggle = (group: string, panel: "members" | "telemetry") => setOpen(open?.group === group && open.panel === panel ? null : { group, panel });

  return (
    <>
      <h1 tabIndex={-1}>Groups</h1>
      <p class="muted">Rules, policies and fleet telemetry can name a group; its devices stay when it is deleted.</p>
      <ErrorNote error={list.error} what="Groups" />
      <ListBody state={list} count={items.length} empty="No groups yet.">
        <ul class="cards" aria-label="Groups">
          {items.map((g) => (
            <li key={g.name} class="card" data-group={g.name}>
              <h2 class="card-title">
                <span class="mono">{g.name}</span> {g.description && <span class="muted">{g.description}</span>}
              </h2>
              <div class="row-actions">
                <button type="button" aria-expanded={open?.group === g.name && open.panel === "members"} onClick={() => toggle(g.name, "members")}>
                  Members
                </button>
                {fleet && (
                  <button type="button" aria-expanded={open?.group === g.name && open.panel === "telemetry"} onClick={() => toggle(g.name, "telemetry")}>
                    Telemetry
                  </button>
                )}
                <ConfirmButton label="Delete" name={`Delete group ${g.name}`} confirm={`Delete group ${g.name}`} onConfirm={() => remove(g.name)} />
              </div>
              {open?.group === g.name && open.panel === "members" && (
                <MemberList
                  base={`/v1/groups/${seg(g.name)}/devices`}
                  words={{ title: "Members", empty: "No device is in this group.", add: `Add a device to ${g.name}`, addButton: "Add", removeButton: "Remove" }}
                />
              )}
              {open?.group === g.name && open.panel === "telemetry" && <GroupTelemetry group={g.name} />}
            </li>
          ))}
        </ul>
      </ListBody>
      <form class="stack" onSubmit={create} aria-labelledby="new-group-h">
        <h2 id="new-group-h">Create a group</h2>
        <TextField label="Group name" value={name} onInput={setName} required mono pattern="[A-Za-z0-9_.:\-]{1,128}" />
        <TextField label="Description (optional)" value={description} onInput={setDescription} />
        <ErrorNote error={error} />
        {created && <Done>Group {created} created.</Done>}
        <div class="actions">
          <button type="submit" class="primary">
            Create group
          </button>
        </div>
      </form>
    </>
  );
}
