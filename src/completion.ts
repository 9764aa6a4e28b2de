// Shell completion: the scripts `sockkit completion bash|zsh` prints, and the answers
// to `sockkit --get-yargs-completions WORDS...`, what those scripts run on every Tab.
// Answers come from the flag declarations alone (src/commands/options.ts): no
// command runs, nothing is resolved or sent, stdin is never read. (yargs' own
// completion ran the command's builder and then the command itself, and offered
// one-letter aliases as `--4`.)
import { BUILT_IN_FLAGS, flagSpellings, GLOBAL_OPTIONS, takesOneValue, type OptionSpec, type OptionSpecs } from './commands/options.js';
import { COMMAND_NAMES, commandNamed, loadCommand } from './commands/registry.js';

/** The flag the scripts call sockkit with (yargs' name, so scripts printed by older versions keep working). */
export const COMPLETION_FLAG = '--get-yargs-completions';
export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

const COMPLETION_COMMAND = 'completion';
const COMPLETION_DESCRIPTION = 'print a bash or zsh completion script';

/** The shell a bare `sockkit completion` writes for: zsh when $SHELL is zsh, else bash. */
export function defaultShell(env: NodeJS.ProcessEnv = process.env): Shell {
  return /(^|\/)zsh$/.test(env.SHELL ?? '') ? 'zsh' : 'bash';
}

export function completionScript(shell: Shell): string {
  return shell === 'zsh' ? ZSH_SCRIPT : BASH_SCRIPT;
}

// Only the words up to the cursor are passed: what follows it must not change the answer.
const BASH_SCRIPT = `###-begin-sockkit-completions-###
# sockkit completion for bash. Load it with: source <(sockkit completion bash)
# (or add that line to ~/.bashrc). Tab asks sockkit for the subcommands and flags
# that fit; no command runs. Where none fit, bash completes file names.
_sockkit_completions() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(sockkit ${COMPLETION_FLAG} "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)" -- "$cur"))
  return 0
}
complete -o bashdefault -o default -F _sockkit_completions sockkit
###-end-sockkit-completions-###
`;

const ZSH_SCRIPT = `#compdef sockkit
###-begin-sockkit-completions-###
# sockkit completion for zsh. Load it with: source <(sockkit completion zsh)
# (or add that line to ~/.zshrc, after compinit). Tab asks sockkit for the
# subcommands and flags that fit, with their descriptions; no command runs.
_sockkit_completions() {
  local reply
  local si=$IFS
  IFS=$'\\n' reply=($(SOCKKIT_COMPLETION_SHELL=zsh sockkit ${COMPLETION_FLAG} "\${(@)words[1,CURRENT]}" 2>/dev/null))
  IFS=$si
  if [[ \${#reply} -gt 0 ]]; then
    _describe 'sockkit' reply
  else
    _default
  fi
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  _sockkit_completions "$@"
else
  compdef _sockkit_completions sockkit
fi
###-end-sockkit-completions-###
`;

interface Candidate {
  word: string;
  description: string;
}

/**
 * What fits the last of `words` (the command line as the shell split it, program
 * name first, up to the cursor): subcommands, flags, or a flag's choices. Empty
 * where a file name or a free value is expected (the shell then completes files).
 */
export async function completionsFor(words: readonly string[]): Promise<Candidate[]> {
  const typed = words.slice(1);
  const current = typed.length > 0 ? typed[typed.length - 1]! : '';
  const before = typed.slice(0, -1);
  if (before.includes('--')) return []; // only positionals after `--`

  const commandIndex = before.findIndex((word, i) => !word.startsWith('-') && !takesValue(before[i - 1], GLOBAL_OPTIONS));
  const commandWord = commandIndex === -1 ? undefined : before[commandIndex];
  const globalFlags = { ...BUILT_IN_FLAGS, ...GLOBAL_OPTIONS };

  if (commandWord === undefined) {
    if (current.startsWith('-')) return flagCandidates(globalFlags, before, current);
    return (await commandCandidates()).filter((c) => c.word.startsWith(current));
  }
  if (commandWord === COMPLETION_COMMAND) {
    if (current.startsWith('-')) return flagCandidates(BUILT_IN_FLAGS, before, current);
    return commandIndex === before.length - 1 ? SHELLS.filter((s) => s.startsWith(current)).map((s) => ({ word: s, description: `the ${s} script` })) : [];
  }
  const name = commandNamed(commandWord);
  if (!name) return [];
  const options: OptionSpecs = { ...globalFlags, ...(await loadCommand(name)).commandLine.options };
  const previous = optionNamed(before[before.length - 1], options);
  if (previous && before.length - 1 > commandIndex && previous.type !== 'boolean') {
    // the value of a flag: its choices, or nothing (the shell completes a file name)
    return (previous.choices ?? []).filter((c) => c.startsWith(current)).map((c) => ({ word: c, description: '' }));
  }
  if (current === '' || current.startsWith('-')) return flagCandidates(options, before.slice(commandIndex + 1), current);
  return [];
}

/** Prints the completions for `words` (what follows COMPLETION_FLAG), one per line; zsh gets `word:description`. */
export async function printCompletions(words: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const zsh = env.SOCKKIT_COMPLETION_SHELL === 'zsh';
  const lines = (await completionsFor(words)).map((c) => (zsh ? `${c.word.replace(/:/g, '\\:')}:${c.description}` : c.word));
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

async function commandCandidates(): Promise<Candidate[]> {
  const commands = await Promise.all(COMMAND_NAMES.map(async (name) => loadCommand(name)));
  const described = commands.map((c) => ({ word: c.name, description: String(c.yargsModule.describe ?? '') }));
  return [...described, { word: COMPLETION_COMMAND, description: COMPLETION_DESCRIPTION }];
}

/**
 * Every spelling of every flag that starts with `current`: `--name`, `-a` for a
 * one-letter alias, `--no-name` for a boolean that is on by default. A flag that
 * takes one value and was already given is left out.
 */
function flagCandidates(options: OptionSpecs, given: readonly string[], current: string): Candidate[] {
  const candidates: Candidate[] = [];
  for (const [name, option] of Object.entries(options)) {
    const spellings = flagSpellings(name, option);
    if (takesOneValue(option) && spellings.some((s) => given.includes(s) || given.some((g) => g.startsWith(`${s}=`)))) continue;
    if (option.type === 'boolean' && option.default === true) spellings.push(`--no-${name}`);
    for (const word of spellings) if (word.startsWith(current)) candidates.push({ word, description: option.describe });
  }
  return candidates;
}

function optionNamed(word: string | undefined, options: OptionSpecs): OptionSpec | undefined {
  if (word === undefined || !word.startsWith('-') || word.includes('=')) return undefined;
  for (const [name, option] of Object.entries(options)) if (flagSpellings(name, option).includes(word)) return option;
  return undefined;
}

function takesValue(word: string | undefined, options: OptionSpecs): boolean {
  const option = optionNamed(word, options);
  return option !== undefined && option.type !== 'boolean';
}
