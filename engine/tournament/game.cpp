#include "engine/tournament/game.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace hearth {
namespace {

constexpr const char* kTerminationNames[] = {"five", "board-full", "timeout", "crash", "illegal-move", "garbage", "error",
                                             "aborted"};

const char* colour_name(Stone s) { return s == Stone::Black ? "Black" : "White"; }

}  // namespace

const char* termination_name(Termination t) { return kTerminationNames[static_cast<int>(t)]; }

std::optional<Termination> parse_termination(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kTerminationNames)); ++i)
    if (name == kTerminationNames[i]) return static_cast<Termination>(i);
  return std::nullopt;
}

const char* result_text(Outcome outcome) {
  switch (outcome) {
    case Outcome::BlackWin: return "1-0";
    case Outcome::WhiteWin: return "0-1";
    default: return "1/2-1/2";
  }
}

GameRecord play_game(const ScheduledGame& game, const Opening& opening, const GameConfig& config, GameSide black,
                     GameSide white, const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  GameRecord record;
  record.game = game;
  record.size = config.size;
  record.rule = config.rule;
  record.opening_stones = static_cast<int>(opening.moves.size());
  Board board = opening_board(opening, config.size, config.rule);
  record.moves = opening.moves;
  record.move_ms.assign(opening.moves.size(), 0);

  bool faulted[2] = {false, false};  // [0] Black, [1] White
  const auto lose = [&](Stone loser, Termination why, const std::string& detail) {
    const GameSide& side = loser == Stone::Black ? black : white;
    record.outcome = loser == Stone::Black ? Outcome::WhiteWin : Outcome::BlackWin;
    record.termination = why;
    record.reason = std::string(colour_name(loser)) + " (" + side.name + ") " + termination_name(why) + ": " + detail;
    faulted[loser == Stone::Black ? 0 : 1] = why != Termination::Aborted;
  };

  // A fault counts only if the tournament is not being stopped. An engine ended by an outside
  // signal gets up to a second for that stop to arrive (Fault::outside_signal): when Slurm
  // cancels a job, the engines may die of its SIGTERM before this process has seen its own.
  const auto stopping = [&](const Fault& fault) {
    for (int i = 0; fault.outside_signal && i < 100 && !stop.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return stop.load();
  };

  bool decided = false;
  for (Stone colour : {Stone::Black, Stone::White}) {
    GameSide& side = colour == Stone::Black ? black : white;
    const std::optional<Fault> problem = side.player->new_game(config.size, config.rule, side.seed);
    if (problem) {
      lose(colour, stopping(*problem) ? Termination::Aborted : problem->kind, "cannot start the game: " + problem->detail);
      decided = true;
      break;
    }
  }

  int64_t used_ms[2] = {0, 0};
  while (!decided && !board.is_over()) {
    if (stop.load()) {
      record.termination = Termination::Aborted;
      record.reason = "the tournament was stopped";
      decided = true;
      break;
    }
    const Stone colour = board.to_move();
    const int c = colour == Stone::Black ? 0 : 1;
    GameSide& side = c == 0 ? black : white;
    MoveRequest request;
    request.board = &board;
    request.turn_ms = side.turn_ms;
    request.match_ms = side.match_ms;
    request.time_left_ms = side.match_ms > 0 ? side.match_ms - used_ms[c] : 0;
    int64_t limit_ms = std::max<int64_t>(0, side.turn_ms);
    if (side.match_ms > 0) limit_ms = std::min(limit_ms, std::max<int64_t>(0, request.time_left_ms));
    request.wait_ms = limit_ms + config.margin_ms;

    const auto start = Clock::now();
    MoveAnswer answer = side.player->think(request);
    const int64_t elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    used_ms[c] += elapsed;

    if (answer.fault) {
      lose(colour, stopping(*answer.fault) ? Termination::Aborted : answer.fault->kind, answer.fault->detail);
      decided = true;
      break;
    }
    if (elapsed > limit_ms + config.margin_ms) {
      lose(colour, Termination::Timeout,
           "took " + std::to_string(elapsed) + " ms; the limit was " + std::to_string(limit_ms) + " ms + " +
               std::to_string(config.margin_ms) + " ms margin");
      decided = true;
      break;
    }
    const std::string square = std::to_string(answer.x) + "," + std::to_string(answer.y);
    if (!board.on_board(answer.x, answer.y)) {
      lose(colour, Termination::Illegal, "move " + square + " is off the board");
      decided = true;
      break;
    }
    const Move m = board.move_at(answer.x, answer.y);
    if (!board.is_legal(m)) {
      lose(colour, Termination::Illegal, "move " + square + " is on an occupied square");
      decided = true;
      break;
    }
    if (config.keep_searched && !answer.visits.empty())
      record.searched.push_back({board.move_count(), std::move(answer.visits), answer.value});
    board.play(m);
    record.moves.push_back(m);
    record.move_ms.push_back(elapsed);
  }
  record.black_ms = used_ms[0];
  record.white_ms = used_ms[1];

  if (!decided) {
    record.outcome = board.outcome();
    if (board.outcome() == Outcome::Draw) {
      record.termination = Termination::FullBoard;
      record.reason = "the board is full";
    } else {
      const Stone winner = board.outcome() == Outcome::BlackWin ? Stone::Black : Stone::White;
      record.termination = Termination::Five;
      record.reason = std::string(colour_name(winner)) + " (" + (winner == Stone::Black ? black.name : white.name) +
                      ") made five in a row";
    }
  }
  black.player->game_over(faulted[0]);
  if (white.player != black.player) white.player->game_over(faulted[1]);
  return record;
}

}  // namespace hearth
