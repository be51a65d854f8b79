export * from './catalog.js';
export * from './checkout.js';
