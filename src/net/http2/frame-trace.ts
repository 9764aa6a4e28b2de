// --trace for HTTP/2: every frame as it crosses the wire (type, stream, flags, length,
// and what matters in it: SETTINGS values, error codes, window increments). DATA and
// WINDOW_UPDATE frames come by the thousand in a large download: the first few of each
// are shown, the rest summarised when the connection closes.
import { tracing, type TraceFn } from '../shared/trace.js';
import { Flag, FrameType, errorName, settingName, typeName, type Frame, type FrameHeader } from './frames.js';

const SHOWN_PER_KIND = 3;

export class FrameTracer {
  private readonly counts = new Map<string, { frames: number; bytes: number }>();

  constructor(private readonly trace: TraceFn) {}

  get on(): boolean {
    return tracing(this.trace);
  }

  /** A frame we sent (`sent`) or received. */
  frame(direction: 'send' | 'recv', header: FrameHeader, frame: Frame): void {
    if (!this.on) return;
    const summarised = frame.type === 'DATA' || frame.type === 'WINDOW_UPDATE';
    if (summarised) {
      const key = `${direction} ${frame.type}`;
      const count = this.counts.get(key) ?? { frames: 0, bytes: 0 };
      count.frames++;
      count.bytes += frame.type === 'DATA' ? header.length : frame.increment;
      this.counts.set(key, count);
      if (count.frames > SHOWN_PER_KIND) {
        if (count.frames === SHOWN_PER_KIND + 1) this.trace(direction, `${frame.type} … (further ${frame.type} frames summarised at the end)`);
        return;
      }
    }
    this.trace(direction, describeFrame(header, frame));
  }

  /** One line per kind with frames not shown: how many frames and bytes (or window increments) in all. */
  summarise(): void {
    for (const [key, { frames, bytes }] of this.counts) {
      if (frames <= SHOWN_PER_KIND) continue; // each was shown
      const [direction, type] = key.split(' ') as ['send' | 'recv', string];
      this.trace(direction, `${type}: ${frames} frames, ${type === 'DATA' ? `${bytes} bytes` : `window +${bytes} in all`}`);
    }
    this.counts.clear();
  }
}

function flagNames(header: FrameHeader): string {
  const names: string[] = [];
  const { type, flags } = header;
  if ((type === FrameType.SETTINGS || type === FrameType.PING) && flags & Flag.ACK) names.push('ACK');
  if ((type === FrameType.DATA || type === FrameType.HEADERS) && flags & Flag.END_STREAM) names.push('END_STREAM');
  if ((type === FrameType.HEADERS || type === FrameType.CONTINUATION || type === FrameType.PUSH_PROMISE) && flags & Flag.END_HEADERS) names.push('END_HEADERS');
  if ((type === FrameType.DATA || type === FrameType.HEADERS || type === FrameType.PUSH_PROMISE) && flags & Flag.PADDED) names.push('PADDED');
  if (type === FrameType.HEADERS && flags & Flag.PRIORITY) names.push('PRIORITY');
  return names.length > 0 ? names.join('|') : flags === 0 ? '-' : `0x${flags.toString(16)}`;
}

/** `SETTINGS stream 0 [-] 18 bytes: MAX_CONCURRENT_STREAMS=128 ...` */
export function describeFrame(header: FrameHeader, frame: Frame): string {
  const head = `${typeName(header.type)} stream ${header.streamId} [${flagNames(header)}] ${header.length} bytes`;
  const detail = frameDetail(frame);
  return detail ? `${head}: ${detail}` : head;
}

function frameDetail(frame: Frame): string {
  switch (frame.type) {
    case 'SETTINGS':
      return frame.settings.map(([id, value]) => `${settingName(id)}=${value}`).join(' ');
    case 'WINDOW_UPDATE':
      return `+${frame.increment}`;
    case 'RST_STREAM':
      return errorName(frame.errorCode);
    case 'GOAWAY': {
      const debug = frame.debug.length > 0 ? ` "${printable(frame.debug.subarray(0, 120))}"` : '';
      return `last stream ${frame.lastStreamId}, ${errorName(frame.errorCode)}${debug}`;
    }
    case 'PING':
      return frame.data.toString('hex');
    case 'PUSH_PROMISE':
      return `promised stream ${frame.promisedStreamId}`;
    default:
      return '';
  }
}

/** Bytes from the server as text a terminal shows safely. */
export function printable(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\x00-\x1f\x7f-\xff"\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
