import { RallyRoom } from "../realtime/RallyRoom";

// Filled in by its issue.
export class UserLobbyRoom extends RallyRoom {
  onCreate(): void {}
}
