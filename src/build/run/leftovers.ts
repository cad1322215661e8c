import type { DaemonConnection } from '../../transport/docker-daemon';

/**
 * What one RUN put into the daemon, removed in reverse order whatever happened: the container first (with its
 * anonymous volumes, `DELETE /containers/{id}?v=1&force=1`, so a VOLUME of the stage leaves nothing), then the
 * committed image, then the temporary tag (`DELETE /images/{name}` of a tag untags it and deletes the image
 * only when no other name or child holds it, so a base image the daemon already had under another name stays).
 */
export class Leftovers {
  private readonly containers: string[] = [];
  private readonly images: string[] = [];

  constructor(private readonly connection: DaemonConnection) {}

  container(id: string): void {
    this.containers.push(id);
  }

  image(nameOrId: string): void {
    this.images.push(nameOrId);
  }

  /** Removes everything recorded; returns what could not be removed (a 404 means already gone). */
  async remove(): Promise<string[]> {
    const { docker } = this.connection;
    const failed: string[] = [];
    const attempt = async (what: string, removal: () => Promise<unknown>) => {
      try {
        await removal();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404)
          failed.push(`${what} (${(err as Error).message})`);
      }
    };
    for (const id of this.containers.splice(0).reverse())
      await attempt(`container ${id.slice(0, 12)}`, () =>
        docker.getContainer(id).remove({ force: true, v: true }),
      );
    for (const name of this.images.splice(0).reverse())
      await attempt(`image ${name}`, () => docker.getImage(name).remove());
    return failed;
  }
}
