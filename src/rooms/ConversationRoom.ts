import { RallyRoom } from "../realtime/RallyRoom";

// Filled in by its issue.
export class ConversationRoom extends RallyRoom {
  onCreate(): void {}
}
