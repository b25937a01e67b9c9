import { $changes, type StateView } from "@colyseus/schema";

/**
 * Per-client patches of a space with interest management, in time proportional to what the
 * client sees rather than to everything that changed.
 *
 * @colyseus/schema (5.0) encodes a client's StateView by walking the tick's whole queue of
 * changed trees and skipping those the view does not hold: with N avatars moving, that is
 * O(N) per client and O(N²) per tick (bench scenario E at 1,000 avatars spent a quarter of
 * the server's CPU in that walk). A space knows who each client sees (the interest grid), so
 * while one view is encoded the encoder is handed a queue of just the trees that view can
 * hold: every changed tree that is not an avatar (the state, the users map: the same for every
 * view, in their order), then the changed avatars in view. The encoder's own visibility check
 * still runs on each, so the bytes are the same as with the full queue, only the walk shrinks.
 *
 * It relies on the encoder's per-tick queue (`root.changes`, a linked list of nodes holding a
 * `changeTree`, whose `changesNode` is set while it is queued), on `encodeView`, and on the
 * shared pass (`encode` without a view) opening every tick that has changes;
 * test/unit/viewEncoding.test.ts decodes every client's patches against the grid's truth, and
 * test/rooms/spaceInterest.test.ts checks what real clients receive through it.
 */
interface QueueNode {
  changeTree: ChangeTree;
  next: QueueNode | undefined;
}

interface ChangeTree {
  ref: object;
  changesNode: unknown;
}

interface ChangeQueue {
  next: QueueNode | undefined;
  tail: QueueNode | undefined;
  nextPosition: number;
}

interface EncoderInternals {
  root: { changes: ChangeQueue };
  encode(it?: { offset: number }, view?: StateView, ...rest: unknown[]): Uint8Array;
  encodeView(view: StateView, sharedOffset: number, it: { offset: number }, bytes?: Uint8Array): Uint8Array;
}

/**
 * Calls `each` with every avatar `view` holds (its own and those in view) and returns true, or
 * returns false for a view it does not know (that view is encoded the usual way).
 */
export type VisitVisible = (view: StateView, each: (avatar: object) => void) => boolean;

/** Installs the shortcut on a room's encoder (`isAvatar` tells avatar trees from the rest). */
export function encodeViewsFromVisible(
  encoder: unknown,
  isAvatar: (ref: object) => boolean,
  visit: VisitVisible,
): void {
  const internals = encoder as EncoderInternals;
  if (typeof internals?.encodeView !== "function" || !internals.root?.changes) return; // not the encoder this knows
  const encode = internals.encode.bind(internals);
  const encodeView = internals.encodeView.bind(internals);
  /** This tick's changed trees that are not avatars, in queue order (null until a view asks). */
  let shared: QueueNode[] | null = null;
  /** One node per avatar tree, relinked for each view (views are encoded one at a time). */
  const avatarNodes = new WeakMap<ChangeTree, QueueNode>();
  const queue: ChangeQueue = { next: undefined, tail: undefined, nextPosition: 0 };

  const append = (node: QueueNode): void => {
    if (queue.tail) queue.tail.next = node;
    else queue.next = node;
    queue.tail = node;
  };
  const appendIfChanged = (avatar: object): void => {
    const tree = (avatar as { [$changes]?: ChangeTree })[$changes];
    if (!tree?.changesNode) return; // unchanged this tick
    let node = avatarNodes.get(tree);
    if (!node) avatarNodes.set(tree, (node = { changeTree: tree, next: undefined }));
    append(node);
  };

  internals.encodeView = (view, sharedOffset, it, bytes) => {
    const full = internals.root.changes;
    if (shared === null) {
      shared = [];
      for (let node = full.next; node; node = node.next)
        if (!isAvatar(node.changeTree.ref)) shared.push({ changeTree: node.changeTree, next: undefined });
    }
    queue.next = queue.tail = undefined;
    for (const node of shared) append(node);
    if (!visit(view, appendIfChanged)) return encodeView(view, sharedOffset, it, bytes);
    const last = queue.tail as QueueNode | undefined; // set by the appends above
    if (last) last.next = undefined;
    internals.root.changes = queue;
    try {
      return encodeView(view, sharedOffset, it, bytes);
    } finally {
      internals.root.changes = full;
    }
  };
  // A tick with changes opens with the shared pass: the non-avatar trees are collected again.
  // (A tick without changes walks at most the last tick's, which no longer hold changes.)
  internals.encode = (it, view, ...rest) => {
    if (view === undefined) shared = null;
    return encode(it, view, ...rest);
  };
}
