import { registryScheme, splitHostPort } from '../../src/registry/tls';

describe('registryScheme', () => {
  it('allows http only for loopback hosts by default', () => {
    for (const host of [
      'localhost',
      'localhost:5000',
      '127.0.0.1:5000',
      '127.1.2.3',
      '[::1]:5000',
      '::1',
      'LOCALHOST',
    ]) {
      expect(registryScheme(host)).toBe('http-allowed');
    }
    for (const host of [
      'docker.io',
      'quay.io:443',
      '10.0.0.1:5000',
      '127.0.0.1.nip.io',
      'localhost.evil.com',
      '[::2]:5000',
    ]) {
      expect(registryScheme(host)).toBe('https');
    }
  });

  it('allows http for insecure registries by host, host:port, wildcard and CIDR', () => {
    const insecureRegistries = [
      'reg.lan',
      'other.lan:5000',
      '*.corp.example',
      '10.1.0.0/16',
      'http://url.lan',
    ];
    const scheme = (host: string) => registryScheme(host, { insecureRegistries });
    expect(scheme('reg.lan:1234')).toBe('http-allowed');
    expect(scheme('other.lan:5000')).toBe('http-allowed');
    expect(scheme('other.lan:5001')).toBe('https');
    expect(scheme('a.b.corp.example')).toBe('http-allowed');
    expect(scheme('corp.example')).toBe('https');
    expect(scheme('10.1.2.3:5000')).toBe('http-allowed');
    expect(scheme('10.2.0.1')).toBe('https');
    expect(scheme('url.lan')).toBe('http-allowed');
  });

  it('treats --tls-verify=false as skopeo does: http allowed', () => {
    expect(registryScheme('quay.io', { tlsVerify: false })).toBe('http-allowed');
    expect(registryScheme('quay.io', { tlsVerify: true })).toBe('https');
  });

  it('reaches --plain-http hosts over http only (no https attempt), in the insecure-registries syntax', () => {
    const scheme = (host: string) =>
      registryScheme(host, { plainHttp: ['reg.lan:5000', '*.corp', '10.0.0.0/8'] });
    expect(scheme('reg.lan:5000')).toBe('http');
    expect(scheme('a.corp')).toBe('http');
    expect(scheme('10.2.3.4:443')).toBe('http');
    expect(scheme('reg.lan:5001')).toBe('https');
    expect(scheme('127.0.0.1:5001')).toBe('http-allowed');
  });

  it('splits host and port', () => {
    expect(splitHostPort('[fe80::1]:5000')).toEqual({ hostname: 'fe80::1', port: '5000' });
    expect(splitHostPort('fe80::1')).toEqual({ hostname: 'fe80::1' });
    expect(splitHostPort('Reg:80')).toEqual({ hostname: 'reg', port: '80' });
  });
});
