import { createFerryClient } from '@ferry/client'
import { ferryMutation } from '@ferry/tanstack-query'

const movies = [
  {
    id: '1',
    title: 'Guardians of the Galaxy',
    comment: '',
  },
  {
    id: '2',
    title: 'Wall-E',
    comment: '',
  },
]

export const fetchMovie = async (
  id: string,
): Promise<{
  ts: number
  movie: { comment: string; id: string; title: string }
}> => {
  const response = await fetch(`/movies/${id}`)
  return await response.json()
}

export const fetchMovies = async (): Promise<{
  ts: number
  movies: typeof movies
}> => {
  const response = await fetch('/movies')
  return await response.json()
}

const ferry = createFerryClient()
await ferry.register() // the worker that controls the page: Ferry's
export const updateMovie = ferryMutation<{ id: string; comment: string }>(ferry, {
  kind: 'movie.comment',
  target: ({ id }) => `/movies/${id}`,
  lane: ({ id }) => `movie:${id}`,
})
