# modelregctl.bash: bash completion for modelregctl: commands, each command's options and their values, and model ids from the running daemon.
#
# The candidates come from modelregctl itself (its hidden __complete
# command reads the same tables that parse the command line, and asks the
# daemon for model ids), so this file names no command or option. When the
# daemon is down there are simply no model ids: nothing is printed.

# Offer each line of $1 that starts with the word being completed. Model ids
# come from a catalog: they are matched as plain text and never expanded by
# the shell (no compgen -W), and one holding a shell metacharacter is quoted.
_modelregctl_offer()
{
	local c
	while IFS= read -r c; do
		[ -n "$c" ] || continue
		if [[ $c == "$1"* ]]; then
			if [[ $c == *[!A-Za-z0-9._:/@+%,=-]* ]]; then
				printf -v c '%q' "$c"
			fi
			COMPREPLY+=("$c")
		fi
	done <<<"$2"
}

_modelregctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -n =: || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${words[cword]}
		prev=
		[ "$cword" -gt 0 ] && prev=${words[cword - 1]}
	fi
	COMPREPLY=()

	local prog=${words[0]} cmd= i w vals
	local -a sock=()
	# The socket given before the cursor, and the command (the first word
	# that is not an option or the socket's value).
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		-s | --socket)
			sock=(-s "${words[i + 1]}")
			i=$((i + 1))
			;;
		--socket=*) sock=(-s "${w#--socket=}") ;;
		-s?*) sock=(-s "${w#-s}") ;;
		-*) ;;
		*) if [ -z "$cmd" ]; then cmd=$w; fi ;;
		esac
	done

	case $prev in
	-s | --socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	esac
	if [[ $cur == --*=* ]]; then
		# --option=value: complete the value after the "=".
		prev=${cur%%=*}
		cur=${cur#*=}
		if [ -n "$cmd" ] && vals=$("$prog" "${sock[@]}" __complete values \
		    "$cmd" "${prev#--}" 2>/dev/null); then
			_modelregctl_offer "$cur" "$vals"
		fi
		return 0
	fi
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			_modelregctl_offer "$cur" $'--socket\n--json\n--yes\n--help\n--version'
		else
			_modelregctl_offer "$cur" "$("$prog" __complete commands 2>/dev/null)"
		fi
	elif [[ $cur == -* ]]; then
		_modelregctl_offer "$cur" "$("$prog" "${sock[@]}" __complete options \
		    "$cmd" 2>/dev/null)"
	elif [[ $prev == --?* ]] && vals=$("$prog" "${sock[@]}" __complete values \
	    "$cmd" "${prev#--}" 2>/dev/null); then
		# The option before the cursor takes a value.
		_modelregctl_offer "$cur" "$vals"
	else
		_modelregctl_offer "$cur" "$("$prog" "${sock[@]}" __complete operands \
		    "$cmd" 2>/dev/null)"
	fi
	if declare -F __ltrim_colon_completions >/dev/null 2>&1; then
		__ltrim_colon_completions "$cur"
	fi
	return 0
}

complete -F _modelregctl modelregctl
