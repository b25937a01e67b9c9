import type { ServiceDeps } from "./deps";

// Filled in by its issue.
export class NotificationsService {
  constructor(private readonly deps: ServiceDeps) {}
}
