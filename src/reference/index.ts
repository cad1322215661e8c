export * from './format-location';
export * from './format-reference';
export * from './grammar';
export * from './image-location';
export * from './image-reference';
export * from './parse-location';
export * from './parse-reference';
export * from './userinfo';
