/** Long-running commands (`serve`, `agent`) stop once, cleanly, on SIGTERM or SIGINT. */
export function stopOnSignals(stop: (signal: NodeJS.Signals) => Promise<void>, report: (message: string) => void): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        report(`error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}
