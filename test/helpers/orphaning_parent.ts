// A parent that starts `npm start` the way the tests do (spawnPlaza), prints the child's pid, and waits to be killed:
// what becomes of the child when its parent dies without stopping it.
import { spawnPlaza } from './plaza_process.ts';

const child = spawnPlaza('server', JSON.parse(process.argv[2]) as Record<string, string>);
console.log(child.pid);
setInterval(() => {}, 60_000);
