import type { ServiceDeps } from "./deps";

// Filled in by its issue.
export class GameInvitationsService {
  constructor(private readonly deps: ServiceDeps) {}
}
