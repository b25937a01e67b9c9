import type { ServiceDeps } from "./deps";

// Filled in by its issue.
export class SpacesService {
  constructor(private readonly deps: ServiceDeps) {}
}
