import type { Infra } from "./infra";
import { UsersService } from "../systems/identity/users";
import { FriendsService } from "../systems/social/friends";
import { Friendships } from "../systems/social/friendships";
import { NotificationsService } from "../systems/lobby/notifications";
import { GameInvitationsService } from "../systems/lobby/gameInvitations";
import { GamesService } from "../systems/biggerDice/games";
import { SpacesService } from "../systems/space/spaces";
import { SpaceMembersService } from "../systems/space/members";
import { TriviaService } from "../systems/trivia/trivia";
import { MatchingService } from "../systems/conversation/matching";
import { ConversationsService } from "../systems/conversation/conversations";
import { PresenceService } from "../systems/lobby/presence";
import { OrgsService } from "../systems/identity/orgs";
import { RefreshTokensService } from "../systems/identity/refreshTokens";
import { BlockCheck } from "../systems/social/blockCheck";
import { BlocksService } from "../systems/social/blocks";
import { ReportsService } from "../systems/social/reports";

/** The domain services, shared by rooms and REST routes. */
export interface Services {
  users: UsersService;
  friends: FriendsService;
  friendships: Friendships;
  notifications: NotificationsService;
  gameInvitations: GameInvitationsService;
  games: GamesService;
  spaces: SpacesService;
  spaceMembers: SpaceMembersService;
  trivia: TriviaService;
  matching: MatchingService;
  conversations: ConversationsService;
  presence: PresenceService;
  orgs: OrgsService;
  refreshTokens: RefreshTokensService;
  blockCheck: BlockCheck;
  blocks: BlocksService;
  reports: ReportsService;
}

/**
 * Every service, each built with exactly what it uses, in dependency order: a service is
 * constructed after the services it calls, so nothing is filled in later and no two
 * services depend on each other (shared reads such as BlockCheck and Friendships are
 * their own small services for that).
 */
export function createServices(infra: Infra): Services {
  const orgs = new OrgsService(infra);
  const users = new UsersService({ ...infra, orgs });
  const refreshTokens = new RefreshTokensService(infra);
  const blockCheck = new BlockCheck(infra);
  const friendships = new Friendships(infra);
  const notifications = new NotificationsService(infra);
  const games = new GamesService(infra);
  const gameInvitations = new GameInvitationsService({ ...infra, users, friendships, notifications, games });
  const friends = new FriendsService({ ...infra, users, blockCheck, friendships, gameInvitations });
  const presence = new PresenceService({ ...infra, friendships, gameInvitations });
  const spaces = new SpacesService({ ...infra, users, blockCheck, notifications });
  const spaceMembers = new SpaceMembersService({ ...infra, spaces });
  const conversations = new ConversationsService({ ...infra, users, blockCheck });
  const matching = new MatchingService({ ...infra, users, blockCheck, conversations, notifications });
  const blocks = new BlocksService({ ...infra, users, friendships, gameInvitations, spaces, conversations });
  const reports = new ReportsService({ ...infra, users, conversations });
  const trivia = new TriviaService({ ...infra, orgs });
  return {
    users,
    friends,
    friendships,
    notifications,
    gameInvitations,
    games,
    spaces,
    spaceMembers,
    trivia,
    matching,
    conversations,
    presence,
    orgs,
    refreshTokens,
    blockCheck,
    blocks,
    reports,
  };
}
