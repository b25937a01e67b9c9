import type { ServiceDeps } from "./deps";

export interface PrivateGameInput {
  invitationId: string;
  map: string;
  /** The two invited players; nobody else may take a player seat. */
  playerIds: [string, string];
}

// Filled in by the bigger_dice issue: history, and the private room behind a game invitation.
export class GamesService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Create the private bigger_dice room reserved for an accepted invitation's two players. */
  async createPrivateRoom(input: PrivateGameInput): Promise<{ roomId: string }> {
    const { matchMaker } = await import("@colyseus/core");
    const room = await matchMaker.createRoom("bigger_dice", {
      roomName: `invitation-${input.invitationId}`,
      invitationId: input.invitationId,
      map: input.map,
      allowedPlayerIds: input.playerIds,
    });
    return { roomId: room.roomId };
  }
}
