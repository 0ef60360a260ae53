#!/usr/bin/env bash
# A fake Gomocup (piskvork) engine for tournament tests: it plays the first empty square in
# row-major order, and misbehaves on request at its K-th move of every game.
#
# Usage: fake_engine.sh MODE [K]
#   normal   plays every move (and chats: MESSAGE, DEBUG and UNKNOWN lines before replies)
#   crash    exits with status 3 instead of its K-th move
#   hang     stops answering at its K-th move (still reads its input)
#   illegal  answers its K-th move with a square already played (the opponent's last move)
#   garbage  answers its K-th move with text that is not a move
#   term     ends itself with SIGTERM at its K-th move, first creating the file $FAKE_ENGINE_MARK
#            if set (as when a scheduler cancelling a job signals every process in it)
#   refuse   answers START with ERROR
#   once     plays one game, then quits when the next one STARTs (an engine that exits between games)
# Only bash builtins, so a move costs microseconds.
mode=${1:-normal}
fault_at=${2:-1}
size=15
moves=0
last=""
declare -a board

clear_board() {
  board=()
  moves=0
  last=""
}

mark() {  # mark X Y
  board[$(($2 * size + $1))]=1
}

reply_move() {
  moves=$((moves + 1))
  echo "MESSAGE fake engine thinking about its move $moves"
  echo "DEBUG mode $mode"
  if [ "$moves" -eq "$fault_at" ]; then
    case "$mode" in
      crash) exit 3 ;;
      hang) while read -r _; do :; done; exit 0 ;;
      illegal) echo "${last:--1,-1}"; return ;;
      garbage) echo "hello there, I am not a move"; return ;;
      term) [ -n "$FAKE_ENGINE_MARK" ] && : >"$FAKE_ENGINE_MARK"; kill -TERM $$ ;;
    esac
  fi
  local i
  for ((i = 0; i < size * size; i++)); do
    if [ -z "${board[$i]}" ]; then
      board[$i]=1
      echo "$((i % size)),$((i / size))"
      return
    fi
  done
  echo "ERROR the board is full"
}

clear_board
while IFS= read -r line; do
  line=${line%$'\r'}
  set -- $line
  command=${1^^}
  case "$command" in
    START)
      if [ "$mode" = refuse ]; then echo "ERROR I refuse to play"; continue; fi
      if [ "$mode" = once ] && [ -n "$started" ]; then exit 0; fi
      started=1
      size=$2
      clear_board
      echo OK
      ;;
    RESTART) clear_board; echo OK ;;
    INFO)
      [ "$2" = game_type ] && echo "UNKNOWN INFO game_type is not interesting"
      ;;
    BEGIN) reply_move ;;
    TURN)
      IFS=, read -r x y <<< "$2"
      mark "$x" "$y"
      last="$x,$y"
      reply_move
      ;;
    BOARD)
      while IFS= read -r entry; do
        entry=${entry%$'\r'}
        [ "${entry^^}" = DONE ] && break
        IFS=, read -r x y field <<< "$entry"
        mark "$x" "$y"
        [ "$field" = 2 ] && last="$x,$y"
      done
      reply_move
      ;;
    ABOUT) echo 'name="fake", version="1", author="Hearth tests"' ;;
    END) exit 0 ;;
    *) echo "UNKNOWN command $line" ;;
  esac
done
