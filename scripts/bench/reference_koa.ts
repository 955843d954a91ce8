// Reference (b): a bare Koa "hello", the ceiling for any Koa server on this machine.
import Koa from 'koa';

const app = new Koa();
app.use((ctx) => { ctx.body = { hello: 'world' }; });
app.listen(Number(process.argv[2]), '127.0.0.1');
