import { RallyRoom } from "../realtime/RallyRoom";

// Filled in by its issue.
export class SpaceRoom extends RallyRoom {
  onCreate(): void {}
}
