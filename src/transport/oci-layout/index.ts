export { LayoutTarget } from './layout-target';
export { openOciLayout } from './oci-layout-target';
