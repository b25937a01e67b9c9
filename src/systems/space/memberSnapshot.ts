/**
 * A live space room's copy of who belongs to its space, so that joins into a live room do not
 * each ask the database (SpaceRoom.onAuth): one query per room and `maxAgeMs` instead of one
 * per join.
 *
 * Only a "yes" is ever answered from it; anything else (someone who became a member since, a
 * space with more than `maxMembers` members, a failed load) is a miss, and the caller asks the
 * database as it always did. A "yes" stays right because the room loads its copy only after
 * it listens to its space's topic: every removal committed after the load reaches it as
 * MEMBER_REMOVED (`removed`), and one that arrives while it loads is applied once it has
 * loaded. The copy is trusted for `maxAgeMs` at most, then reloaded on the next join, so a
 * removal whose live delivery failed (the service logs it) still takes effect by then.
 */
/** A space with more members than this is not copied: its joins ask the database. */
export const MAX_SNAPSHOT_MEMBERS = 5000;

export class MemberSnapshot {
  private members: Set<string> | null = null;
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;
  private removedWhileLoading: string[] = [];
  private closed = false;

  constructor(
    /** The space's member ids, or null when it has more than `maxMembers` (not worth a copy). */
    private readonly load: (maxMembers: number) => Promise<string[] | null>,
    private readonly maxAgeMs: number,
    private readonly maxMembers: number = MAX_SNAPSHOT_MEMBERS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `userId` is a member for sure; false means "ask the database". */
  async has(userId: string): Promise<boolean> {
    if (this.closed || this.maxAgeMs <= 0) return false;
    if (this.now() - this.loadedAt > this.maxAgeMs) await this.reload();
    return this.members?.has(userId) ?? false;
  }

  /** Load the copy now (call once the room listens to its topic), so the next join finds it ready. */
  prefetch(): void {
    if (!this.closed && this.maxAgeMs > 0) void this.reload();
  }

  /** MEMBER_REMOVED: never answered "yes" again from this copy (a reload after it cannot see them). */
  removed(userId: string): void {
    this.members?.delete(userId);
    if (this.loading) this.removedWhileLoading.push(userId);
  }

  /** The space is gone: every join asks the database (which refuses it). */
  close(): void {
    this.closed = true;
    this.members = null;
  }

  /** One load at a time; joins arriving meanwhile wait for it rather than each querying. */
  private reload(): Promise<void> {
    this.loading ??= (async () => {
      const startedAt = this.now();
      this.removedWhileLoading = [];
      let members: Set<string> | null = null;
      try {
        const ids = await this.load(this.maxMembers);
        members = ids ? new Set(ids) : null;
        for (const id of this.removedWhileLoading) members?.delete(id);
      } catch {
        // The database answers each join until the next reload.
      }
      if (!this.closed) this.members = members;
      this.loadedAt = startedAt;
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }
}
