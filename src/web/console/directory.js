import { api } from "/console/api.js";
import { can } from "/console/state.js";
import { settle } from "/ui/lib/api.js";
import { report } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// Directory (users, groups, roles) as far as the caller may read it
// ---------------------------------------------------------------------------

function makeDirectory(users, groups, roles, loaded) {
  const byId = new Map(users.map((u) => [u.id, u]));
  const byUsername = new Map(users.map((u) => [u.username, u]));
  return {
    loaded,
    users,
    groups,
    roles,
    byId,
    user: (ref) => byUsername.get(ref) || byId.get(ref) || null,
    group: (ref) => groups.find((g) => g.name === ref || g.id === ref) || null,
    label: (ref) => {
      const u = byUsername.get(ref) || byId.get(ref);
      return u ? u.name : ref;
    },
  };
}

export async function loadDirectory() {
  if (!can("read_directory")) return makeDirectory([], [], [], false);
  const [users, groups, roles] = await Promise.all([
    settle(api("GET", "/api/v1/users")),
    settle(api("GET", "/api/v1/groups")),
    settle(api("GET", "/api/v1/roles")),
  ]);
  for (const r of [users, groups, roles]) if (!r.ok) report(r.error);
  return makeDirectory(
    users.ok ? users.value.users : [],
    groups.ok ? groups.value.groups : [],
    roles.ok ? roles.value.roles : [],
    users.ok && groups.ok);
}

/**
 * The modems' SMS and call capacity, for the estimates; unknown without
 * manage_devices. `voice` is null where no modem places calls; its
 * `perHour` is 0 until a call was measured.
 */
export async function loadDeviceCapacity() {
  if (!can("manage_devices")) return { known: false };
  const r = await settle(api("GET", "/api/v1/devices/hardware"));
  if (!r.ok) return { known: false };
  const { sms, voice } = r.value;
  const calls = voice ? { perHour: Number(voice.calls_per_hour) || 0, queued: voice.queued || 0 } : null;
  if (!sms) return { known: true, capacity: 0, queued: 0, voice: calls };
  return { known: true, capacity: Number(sms.capacity_per_minute) || 0, queued: sms.queued || 0, voice: calls };
}
