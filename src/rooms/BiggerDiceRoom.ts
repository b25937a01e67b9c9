import { RallyRoom } from "../realtime/RallyRoom";

// Filled in by its issue.
export class BiggerDiceRoom extends RallyRoom {
  onCreate(): void {}
}
