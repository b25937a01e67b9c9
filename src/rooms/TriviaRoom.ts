import { RallyRoom } from "../realtime/RallyRoom";

// Filled in by its issue.
export class TriviaRoom extends RallyRoom {
  onCreate(): void {}
}
