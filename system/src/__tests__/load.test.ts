/** The browse flow follows the list's next page as the tickets service announces it (RFC 8288). */
import { nextPageLink } from '../load';

describe('nextPageLink', () => {
  it('gives the path of the rel="next" target', () => {
    expect(nextPageLink('</api/tickets?limit=24&cursor=abc>; rel="next"')).toBe(
      '/api/tickets?limit=24&cursor=abc',
    );
  });

  it('keeps only the path and query of an absolute target', () => {
    expect(nextPageLink('<http://tickets:3000/api/tickets?cursor=x%3D>; rel=next')).toBe(
      '/api/tickets?cursor=x%3D',
    );
  });

  it('finds next among other links and relation types', () => {
    expect(
      nextPageLink(
        '</api/tickets?cursor=p>; rel="prev", </api/tickets?cursor=n>; title="more"; rel="last next"',
      ),
    ).toBe('/api/tickets?cursor=n');
  });

  it('finds none on the last page', () => {
    expect(nextPageLink(null)).toBeUndefined();
    expect(nextPageLink('</api/tickets?cursor=p>; rel="prev"')).toBeUndefined();
  });
});
