import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// During `npm run dev`, API calls go to a running redred (default 127.0.0.1:8080).
// Override with REDRED_DEV_SERVER=http://host:port npm run dev
const devServer = process.env.REDRED_DEV_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: {
    proxy: {
      // A regex key (leading ^) so future app routes such as /streams are not proxied.
      '^/stream/': { target: devServer, changeOrigin: false, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
});
