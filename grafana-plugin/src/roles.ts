import { config } from '@grafana/runtime';
import { GrafanaRole } from './types';

const RANK: Record<string, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

/** hasRole tells whether a user with role `have` may do what needs `need`. */
export function hasRole(have: string | undefined, need: GrafanaRole | undefined, isGrafanaAdmin = false): boolean {
  if (isGrafanaAdmin) {
    return true;
  }
  return (RANK[have ?? 'None'] ?? 0) >= (RANK[need ?? 'Editor'] ?? RANK.Editor);
}

/**
 * currentUserHasRole checks the signed-in user's org role. It only decides
 * what the UI offers; the backend enforces the same roles on every call.
 */
export function currentUserHasRole(need: GrafanaRole | undefined): boolean {
  const user = config.bootData?.user;
  return hasRole(user?.orgRole, need, user?.isGrafanaAdmin);
}
