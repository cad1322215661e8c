export { LocalStore, openLocalStore, STORE_NAME_POLICY } from './local-store';
export { defaultStoreRoot } from '../../store';
