/**
 * az's progress indicator for long-running operations: ` - Running ..` redrawn on stderr while it
 * waits, only when stderr is a terminal (nothing at all when output is piped or redirected).
 */
export interface Progress {
  stop(): void;
}

const FRAMES = ['|', '/', '-', '\\'];

export function startProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { stop() {} };
  let i = 0;
  const draw = () => {
    stream.write(`\r ${FRAMES[i++ % FRAMES.length]} Running ..`);
  };
  draw();
  const timer = setInterval(draw, 250);
  return {
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[K');
    },
  };
}
