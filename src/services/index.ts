import type { Infra } from "./infra";
import { UsersService } from "../systems/identity/users";
import { FriendsService } from "../systems/social/friends";
import { Friendships } from "../systems/social/friendships";
import { NotificationsService } from "../systems/lobby/notifications";
import { GameInvitationsService } from "../systems/lobby/gameInvitations";
import { GameInvitationExpiryService } from "../systems/lobby/gameInvitationExpiry";
import { GamesService } from "../systems/biggerDice/games";
import { SpacesService } from "../systems/space/spaces";
import { SpaceInvitesService } from "../systems/space/spaceInvites";
import { SpaceInviteAnswersService } from "../systems/space/spaceInviteAnswers";
import { SpaceMembersService } from "../systems/space/members";
import { TriviaService } from "../systems/trivia/trivia";
import { TriviaResultsService } from "../systems/trivia/triviaResults";
import { TriviaChatService } from "../systems/trivia/triviaChat";
import { MatchingService } from "../systems/conversation/matching";
import { ConversationsService } from "../systems/conversation/conversations";
import { ConversationListsService } from "../systems/conversation/conversationLists";
import { MessagesService } from "../systems/conversation/messages";
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
  gameInvitationExpiry: GameInvitationExpiryService;
  games: GamesService;
  spaces: SpacesService;
  spaceInvites: SpaceInvitesService;
  spaceInviteAnswers: SpaceInviteAnswersService;
  spaceMembers: SpaceMembersService;
  trivia: TriviaService;
  triviaResults: TriviaResultsService;
  triviaChat: TriviaChatService;
  matching: MatchingService;
  conversations: ConversationsService;
  conversationLists: ConversationListsService;
  messages: MessagesService;
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
  const gameInvitationExpiry = new GameInvitationExpiryService(infra);
  const gameInvitations = new GameInvitationsService({ ...infra, users, friendships, notifications, games });
  const friends = new FriendsService({ ...infra, users, blockCheck, friendships, gameInvitationExpiry });
  const presence = new PresenceService({ ...infra, friendships, gameInvitationExpiry });
  const spaces = new SpacesService(infra);
  const spaceInvites = new SpaceInvitesService({ ...infra, users, blockCheck, notifications, spaces });
  const spaceInviteAnswers = new SpaceInviteAnswersService({ ...infra, users, notifications });
  const spaceMembers = new SpaceMembersService({ ...infra, spaces });
  const conversationLists = new ConversationListsService(infra);
  const conversations = new ConversationsService({ ...infra, users, blockCheck, conversationLists });
  const messages = new MessagesService({ ...infra, conversations });
  const matching = new MatchingService({ ...infra, users, blockCheck, conversations, notifications });
  const blocks = new BlocksService({
    ...infra,
    users,
    friendships,
    gameInvitationExpiry,
    spaceInviteAnswers,
    conversations,
  });
  const reports = new ReportsService({ ...infra, users, messages });
  const trivia = new TriviaService({ ...infra, orgs });
  const triviaResults = new TriviaResultsService({ ...infra, trivia });
  const triviaChat = new TriviaChatService(infra);
  return {
    users,
    friends,
    friendships,
    notifications,
    gameInvitations,
    gameInvitationExpiry,
    games,
    spaces,
    spaceInvites,
    spaceInviteAnswers,
    spaceMembers,
    trivia,
    triviaResults,
    triviaChat,
    matching,
    conversations,
    conversationLists,
    messages,
    presence,
    orgs,
    refreshTokens,
    blockCheck,
    blocks,
    reports,
  };
}
