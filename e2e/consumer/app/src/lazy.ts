declare const __APP_VERSION__: string;

export const text = `lazy chunk of version ${__APP_VERSION__}`;
